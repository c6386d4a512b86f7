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
        var target = folder.appendingPathComponent(file.lastPathComponent)
        if FileManager.default.fileExists(atPath: target.path) {
            if (try? SettlementFileReader.sha256(of: target)) == sha256 {
                try FileManager.default.removeItem(at: file)
                return target
            }
            target = folder.appendingPathComponent("\(file.lastPathComponent).\(sha256.prefix(12))")
        }
        guard rename(file.path, target.path) == 0 else {
            // Another file system: copy, then remove.
            try FileManager.default.copyItem(at: file, to: target)
            try FileManager.default.removeItem(at: file)
            return target
        }
        return target
    }
}
