import Foundation
import ReconIngest

/// Moves settlement files out of the inbox once the store has committed them (SPEC §3.1):
/// ingested files to `archive_dir`, rejected ones to `quarantine_dir` with `FILE.reason.txt`.
/// With no `archive_dir`, files stay where they are.
struct InboxMover {
    let archive: URL?
    let quarantine: URL

    func archive(_ file: URL, sha256: String) throws {
        guard let archive else { return }
        try move(file, into: archive, sha256: sha256)
    }

    /// Where `folder` holds this content under `name`, or under the name `move` gives it beside
    /// another file of that name; nil where it does not. A file the store has ingested and the
    /// archive does not hold was not moved: the run that ingested it stopped first. (One stopped
    /// between the copy to another file system and the removal of the original leaves both: the
    /// file left in the inbox then counts as a duplicate arrival.)
    static func file(in folder: URL, named name: String, holding sha256: String) -> URL? {
        [name, "\(name).\(sha256.prefix(12))"].lazy.map { folder.appendingPathComponent($0) }.first { file in
            (try? SettlementFileReader.sha256(of: file)) == sha256
        }
    }

    func quarantine(_ file: URL, sha256: String, rejection: FileRejection, on date: String) throws {
        guard archive != nil else { return }
        let target = try move(file, into: quarantine, sha256: sha256)
        let reason = """
            file: \(file.lastPathComponent)
            sha256: \(sha256)
            date: \(date)
            reason: \(rejection.reason)
            line: \(rejection.line.map(String.init) ?? "-")
            column: \(rejection.column.map(String.init) ?? "-")

            """
        try OutputWriter(root: quarantine).write(Data(reason.utf8), to: target.lastPathComponent + ".reason.txt")
    }

    /// Moves `file` into `folder`; a different file already there under the name keeps its
    /// place and this one gets the hash in its name. Returns where the file went.
    @discardableResult
    private func move(_ file: URL, into folder: URL, sha256: String) throws -> URL {
        try OutputWriter.makeFolder(folder)
        let name = file.lastPathComponent
        if let held = Self.file(in: folder, named: name, holding: sha256) {
            try FileManager.default.removeItem(at: file)
            return held
        }
        var target = folder.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: target.path) {
            target = folder.appendingPathComponent("\(name).\(sha256.prefix(12))")
        }
        guard rename(file.path, target.path) == 0 else {
            // Another file system: a copy under a passing name, renamed once whole, so that the
            // folder never holds part of a file under its name; then the original removed (a run
            // stopped before that finds the file in both places).
            let partial = folder.appendingPathComponent(".\(target.lastPathComponent).partial")
            try? FileManager.default.removeItem(at: partial)
            try FileManager.default.copyItem(at: file, to: partial)
            guard rename(partial.path, target.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
            }
            try FileManager.default.removeItem(at: file)
            return target
        }
        return target
    }
}
