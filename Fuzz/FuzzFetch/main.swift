import FuzzSupport

runFuzzer(fuzzFetch)
