import FuzzSupport

runFuzzer(fuzzKServe)
