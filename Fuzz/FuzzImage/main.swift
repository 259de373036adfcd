import FuzzSupport

runFuzzer(fuzzImage)
