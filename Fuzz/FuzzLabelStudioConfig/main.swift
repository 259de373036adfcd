import FuzzSupport

runFuzzer(fuzzLabelStudioConfig)
