import Foundation

/// Runs a program to completion for a test and collects what it printed.
enum TestProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Standard error is read on its own thread, so neither pipe can fill up and stall the program.
    static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                    environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        nonisolated(unsafe) var stderr = Data()
        let finished = DispatchSemaphore(value: 0)
        Thread {
            stderr = errors.fileHandleForReading.readDataToEndOfFile()
            finished.signal()
        }.start()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        finished.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}
