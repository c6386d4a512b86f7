import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes output files atomically (temporary file, then rename), files 0640 and folders 0750,
/// so a reader never sees half a file and other users see none.
struct OutputWriter {
    let root: URL

    /// Writes `data` to `relativePath` under the output folder.
    @discardableResult
    func write(_ data: Data, to relativePath: String) throws -> URL {
        let target = root.appendingPathComponent(relativePath)
        let folder = target.deletingLastPathComponent()
        try Self.makeFolder(folder)
        let temporary = folder.appendingPathComponent(".\(target.lastPathComponent).\(getpid()).tmp")
        try Self.removeStaleTemporaries(of: target)
        // Written with plain POSIX calls: Foundation's own atomic write would leave a second,
        // differently named temporary behind if the process died mid-write. No fsync: every
        // output can be written again from the store, which is what the next run does.
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw Self.failure(temporary) }
        let complete = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 { if errno == EINTR { continue } else { return false } }
                offset += written
            }
            return true
        }
        close(descriptor)
        guard complete else {
            unlink(temporary.path)
            throw Self.failure(temporary)
        }
        chmod(temporary.path, 0o640)
        guard rename(temporary.path, target.path) == 0 else {
            let error = Self.failure(target)
            unlink(temporary.path)
            throw error
        }
        return target
    }

    static func failure(_ url: URL) -> CocoaError {
        CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                                                 NSLocalizedDescriptionKey: String(cString: strerror(errno))])
    }

    /// A run killed between writing a temporary file and renaming it leaves the temporary
    /// behind; the next writer of the same file removes it.
    static func removeStaleTemporaries(of target: URL) throws {
        let folder = target.deletingLastPathComponent()
        let prefix = ".\(target.lastPathComponent)."
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    /// Creates `folder` and its missing parents with mode 0750.
    static func makeFolder(_ folder: URL) throws {
        var missing: [URL] = []
        var current = folder
        while !FileManager.default.fileExists(atPath: current.path) {
            missing.append(current)
            current = current.deletingLastPathComponent()
        }
        for url in missing.reversed() {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            chmod(url.path, 0o750)
        }
    }
}
