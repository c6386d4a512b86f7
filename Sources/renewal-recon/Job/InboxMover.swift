import Foundation
import ReconIngest

/// Moves settlement files out of the inbox once the store has committed them (SPEC §3.1):
/// ingested files to `archive_dir`, rejected ones to `quarantine_dir` with `FILE.reason.txt`.
/// With no `archive_dir`, files stay where they are.
struct InboxMover {
    let archive: URL?
    let quarantine: URL
    /// The reason files' writer, one for the run: it cleans the quarantine of a killed run's
    /// temporaries once, not at every file quarantined.
    private let reasons: OutputWriter

    init(archive: URL?, quarantine: URL) {
        self.archive = archive
        self.quarantine = quarantine
        self.reasons = OutputWriter(root: quarantine)
    }

    func archive(_ file: URL, sha256: String) throws {
        guard let archive else { return }
        try OutputWriter.makeFolder(archive)
        try move(file, to: Self.destination(of: file.lastPathComponent, in: archive, sha256: sha256), sha256: sha256)
    }

    /// Where `folder` holds this content under `name`, or under the name `move` gives it beside
    /// another file of that name; nil where it does not. A file the store has ingested and the
    /// archive does not hold was not moved: the run that ingested it stopped first.
    static func file(in folder: URL, named name: String, holding sha256: String) -> URL? {
        targets(named: name, holding: sha256).lazy.map { folder.appendingPathComponent($0) }.first { file in
            (try? SettlementFileReader.sha256(of: file)) == sha256
        }
    }

    /// Whether `file` is the original of a move into `folder` across file systems that stopped
    /// after the copy and before the original was removed: the move's note there names this
    /// very file (device and inode), not another sent with the same name and content.
    static func isLeftBehind(_ file: URL, in folder: URL, holding sha256: String) -> Bool {
        guard let identity = identity(of: file) else { return false }
        return targets(named: file.lastPathComponent, holding: sha256).contains { target in
            (try? String(contentsOf: note(in: folder, for: target), encoding: .utf8)) == identity
        }
    }

    /// The names `move` gives a file: its own, or with the hash beside another of that name.
    private static func targets(named name: String, holding sha256: String) -> [String] {
        [name, "\(name).\(sha256.prefix(12))"]
    }

    /// The note a move across file systems leaves beside its target until the original is gone.
    private static func note(in folder: URL, for target: String) -> URL {
        folder.appendingPathComponent(".\(target).moving")
    }

    /// The file's own status (a link's, not its target's), or nil.
    static func status(of file: URL) -> stat? {
        status(ofPath: Array(file.path.utf8))
    }

    /// The status of the entry at `path`, as bytes (a name that is not UTF-8 too), or nil.
    static func status(ofPath path: [UInt8]) -> stat? {
        var status = stat()
        let found = (path + [0]).withUnsafeBufferPointer { path in
            path.withMemoryRebound(to: CChar.self) { lstat($0.baseAddress!, &status) == 0 }
        }
        return found ? status : nil
    }

    /// `device:inode` of a file, or nil.
    private static func identity(of file: URL) -> String? {
        status(of: file).map { "\($0.st_dev):\($0.st_ino)" }
    }

    /// `inode:size:modified` of an inbox file: the file a run saw, told apart from another of
    /// the same name and content sent later (a new file, or the old one written over). Not the
    /// device, whose number a reboot may change (NFS, overlay, LVM).
    static func arrival(_ status: stat) -> String {
        "\(status.st_ino):\(status.st_size):\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
    }

    /// `arrival` and the inode's change time, which no sender sets: the file a run lists, to be
    /// told from one written in place or renamed over it while the run reads it (the same size
    /// and modification time kept, as `cp -p` or `rsync -t` keep them). Not for the store:
    /// a rename within the folder changes the change time.
    static func readingIdentity(of file: URL) -> String? {
        status(of: file).map(readingIdentity)
    }

    static func readingIdentity(_ status: stat) -> String {
        arrival(status) + ":\(status.st_ctim.tv_sec).\(status.st_ctim.tv_nsec)"
    }

    /// The reason file first, then the file: a run stopped between the two leaves the file in
    /// the inbox, which the next run refuses again (moving the file first, a stop there left
    /// it quarantined without its reason for good, as the next run no longer sees it).
    func quarantine(_ file: URL, sha256: String, rejection: FileRejection, on date: String) throws {
        guard archive != nil else { return }
        let destination = Self.destination(of: file.lastPathComponent, in: quarantine, sha256: sha256)
        let reason = """
            file: \(file.lastPathComponent)
            sha256: \(sha256)
            date: \(date)
            reason: \(rejection.reason)
            line: \(rejection.line.map(String.init) ?? "-")
            column: \(rejection.column.map(String.init) ?? "-")

            """
        try reasons.write(Data(reason.utf8), to: destination.target.lastPathComponent + ".reason.txt")
        CrashPoint.reach("quarantine.reasoned")
        try move(file, to: destination, sha256: sha256)
    }

    /// Where a file of this name and content goes in a folder: the copy the folder holds
    /// already (`held`), or a new target under its own name, or with the hash beside another
    /// file of that name.
    private struct Destination {
        let target: URL
        let held: Bool
    }

    private static func destination(of name: String, in folder: URL, sha256: String) -> Destination {
        if let held = file(in: folder, named: name, holding: sha256) { return Destination(target: held, held: true) }
        let own = folder.appendingPathComponent(name)
        let target = FileManager.default.fileExists(atPath: own.path) ? folder.appendingPathComponent("\(name).\(sha256.prefix(12))") : own
        return Destination(target: target, held: false)
    }

    /// Moves `file` to `destination`: where the folder holds its copy already, the file is
    /// removed (and any note of a move left unfinished).
    private func move(_ file: URL, to destination: Destination, sha256: String) throws {
        let folder = destination.target.deletingLastPathComponent()
        guard !destination.held else {
            try FileManager.default.removeItem(at: file)
            for target in Self.targets(named: file.lastPathComponent, holding: sha256) {
                try? FileManager.default.removeItem(at: Self.note(in: folder, for: target))
            }
            return
        }
        let target = destination.target
        guard rename(file.path, target.path) == 0 else {
            // Another file system: a copy under a passing name, renamed once whole, so that the
            // folder never holds part of a file under its name; then the original removed. A
            // note names the original until then: a run stopped in between finds it in both
            // places, and by the note knows the inbox's for this one, not the processor's
            // sending it again (which counts as a duplicate arrival).
            let note = Self.note(in: folder, for: target.lastPathComponent)
            try Data((Self.identity(of: file) ?? "").utf8).write(to: note)
            let partial = folder.appendingPathComponent(".\(target.lastPathComponent).partial")
            try? FileManager.default.removeItem(at: partial)
            try FileManager.default.copyItem(at: file, to: partial)
            guard rename(partial.path, target.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
            }
            CrashPoint.reach("archive.copied")
            try FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: note)
            return
        }
    }
}
