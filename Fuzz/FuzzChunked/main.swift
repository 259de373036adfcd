import FuzzSupport

runFuzzer(fuzzChunked)
