import FuzzSupport

runFuzzer(fuzzMultipart)
