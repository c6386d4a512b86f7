import Foundation

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
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o640]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        chmod(temporary.path, 0o640)
        guard rename(temporary.path, target.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path, NSLocalizedDescriptionKey: reason])
        }
        return target
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
