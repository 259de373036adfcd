import FuzzSupport

runFuzzer(fuzzONNX)
