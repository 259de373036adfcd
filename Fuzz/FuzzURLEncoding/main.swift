import FuzzSupport

runFuzzer(fuzzURLEncoding)
