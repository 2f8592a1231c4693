"""Generated protobuf/gRPC stubs (bin/gen_proto.py from proto/*.proto). Never edit the *_pb2*.py files."""
