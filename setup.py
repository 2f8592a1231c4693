from setuptools import find_packages, setup

setup(
    name="fate_flow",
    version="0.1.0",
    description="Job scheduling and model management for federated learning, speaking FATE-Flow 1.6's /v1 API",
    python_requires=">=3.11",
    packages=find_packages(include=["fate_flow", "fate_flow.*"]),
    include_package_data=True,
    # the board's pages and the vendored libraries they use
    package_data={"fate_flow": ["board/static/*", "board/static/*/*", "board/static/*/*/*"]},
    install_requires=[
        "flask>=3.0,<4",
        "werkzeug>=3.0,<4",
        "peewee>=3.17,<4",
        "pymysql>=1.1,<2",
        "gunicorn>=22,<24",
        "grpcio>=1.81.1,<2",  # the committed stubs (bin/gen_proto.py) were made by grpcio-tools 1.81.1
        "protobuf>=6.33.5,<7",  # and need this protobuf runtime
        "pyyaml>=6.0,<7",
        "lmdb>=1.4,<2",
        "msgpack>=1.0,<2",
        "numpy>=1.26,<3",
        "cryptography>=42,<51",
        "requests>=2.31,<3",
        "requests-toolbelt>=1.0,<2",
        "psutil>=5.9,<8",
        "gmpy2>=2.1,<3",  # Paillier arithmetic (fate_flow.secure)
        "blake3>=1.0,<2",  # keyed MACs of data-plane values (fate_flow.federation.sessions)
        # /v1/model/homo/convert and homo/deploy: HomoLR as a scikit-learn model saved with joblib (the tests also
        # use scikit-learn as the plaintext reference for models and metrics)
        "scikit-learn>=1.3,<2",
        "joblib>=1.2,<2",
    ],
    extras_require={
        "test": ["pytest>=8,<10", "grpcio-tools>=1.81.1,<2",
                 "phe>=1.5,<2",  # python-paillier: an independent Paillier to check ours against
                 "selenium>=4.20,<5"],  # the board's browser tests drive Debian's chromium (bin/chromium.sh)
        # bench/secureboost.py's reference: XGBoost (CPU build) on the joined plaintext data
        "bench": ["xgboost-cpu>=2,<4", "scikit-learn>=1.3,<2"],
        # the Spark computing engine (fate_flow.computing.spark); needs a Java 8/11/17 runtime (bin/java.sh)
        "spark": ["pyspark>=3.5,<4"],
    },
    entry_points={
        "console_scripts": [
            "fate_flow_server=fate_flow.server:main",
            "flow_legacy=fate_flow.fate_flow_client:main",
        ],
    },
)
