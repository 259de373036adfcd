import Foundation
import TestSupport

/// What a child process printed and how it ended.
struct ProcessOutput: Sendable {
    var status: Int32
    var output: String
    var error: String
}

/// Runs `arguments` (found on PATH), feeding it `input`, and waits for it to end.
/// `input` is written before any output is read, so keep it small.
func run(_ arguments: [String], input: [UInt8] = []) async throws -> ProcessOutput {
    try await onThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let error = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessOutput(
            status: process.terminationStatus,
            output: String(decoding: output, as: UTF8.self),
            error: String(decoding: error, as: UTF8.self)
        )
    }
}

/// Whether a command-line tool is installed.
func toolExists(_ name: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
    }
}
