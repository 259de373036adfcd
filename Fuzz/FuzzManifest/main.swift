import FuzzSupport

runFuzzer(fuzzManifest)
