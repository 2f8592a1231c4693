"""Pipelined models on disk (contract §8): one party's model directory, its `Pipeline` record and the buffers
its components wrote. Pure file work over a given directory: no database, no settings, no HTTP."""
