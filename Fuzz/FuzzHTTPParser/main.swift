import FuzzSupport

runFuzzer(fuzzHTTPParser)
