"""Server-side files a client names: which it may read or write (file_access.py), opened below a trusted
directory without following links (nofollow_files.py); directories streamed as tar.gz (tar_stream.py)."""
