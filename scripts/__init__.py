"""Scripts run from the command line (`make run`, the unused-code check); the benchmarks import `run` too."""
