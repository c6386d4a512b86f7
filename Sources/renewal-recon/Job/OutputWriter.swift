import Foundation
import ReconCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes output files atomically (temporary file, then rename), files 0640 and folders 0750,
/// so a reader never sees half a file and other users see none.
///
/// Plain POSIX calls: Foundation's own atomic write would leave a second, differently named
/// temporary behind if the process died mid-write. No fsync: every output can be written
/// again from the store, which is what the next run does after a crash.
struct OutputWriter {
    let root: URL
    /// The folders whose stale temporaries this writer has removed: each is listed once, before
    /// the writer's first file there (a night's `.eml` folder holds a file per mail, and listing
    /// it again for each made writing them take time in the square of their number).
    private let cleaned = CleanedFolders()

    /// Removes the stale temporaries of every date's folder (`mail/D`, `licenses/D`,
    /// `reports/D`): a command killed while it wrote a date's files, and never run again for
    /// that date (a `report --date` of a past one), left its temporary there, a mail file's
    /// with the customers' addresses. Called by a command holding the job's lock, so no
    /// temporary there is another writer's. Not the `.eml` folders, which hold a file per mail:
    /// listing each date's on every run would cost seconds; they are cleaned when written.
    func removeStaleTemporaries() {
        for kind in ["mail", "licenses", "reports"] {
            let folder = root.appendingPathComponent(kind)
            for date in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            where BusinessDate(iso: date) != nil {
                cleaned.clean(folder.appendingPathComponent(date))
            }
        }
    }

    /// Writes `data` to `relativePath` under the output folder.
    @discardableResult
    func write(_ data: Data, to relativePath: String) throws -> URL {
        var sink = try Sink(root.appendingPathComponent(relativePath), cleaned: cleaned)
        try data.withUnsafeBytes { try sink.append($0) }
        return try sink.commit()
    }

    /// Writes a file as `produce` appends to it, a page at a time; renamed into place at the end.
    func stream(to relativePath: String, _ produce: (inout Sink) async throws -> Void) async throws -> URL {
        var sink = try Sink(root.appendingPathComponent(relativePath), cleaned: cleaned)
        do {
            try await produce(&sink)
        } catch {
            sink.abandon()
            throw error
        }
        return try sink.commit()
    }

    /// An open temporary file, buffered. A value: it writes its bytes at its own offset, and
    /// the file ends where the committed value's bytes do, so a copy that was set aside (a read
    /// that started over from an earlier copy) leaves nothing of its own in the file.
    struct Sink: Sendable {
        let target: URL
        let temporary: URL
        private let descriptor: Int32
        private var buffer: [UInt8] = []
        /// Bytes of this value already in the file.
        private var written = 0

        fileprivate init(_ target: URL, cleaned: CleanedFolders) throws {
            self.target = target
            let folder = target.deletingLastPathComponent()
            try OutputWriter.makeFolder(folder)
            cleaned.clean(folder)
            temporary = folder.appendingPathComponent(".\(target.lastPathComponent).\(getpid()).tmp")
            descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else { throw OutputWriter.failure(temporary) }
            buffer.reserveCapacity(Self.capacity)
        }

        mutating func append(_ bytes: [UInt8]) throws {
            try bytes.withUnsafeBytes { try append($0) }
        }

        /// Buffers small pieces; a piece of a buffer's size or more goes straight to the file.
        mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
            if buffer.count + bytes.count > Self.capacity { try flush() }
            if bytes.count >= Self.capacity {
                try writeAll(bytes)
            } else {
                buffer.append(contentsOf: bytes)
            }
        }

        /// Appends what `build` writes straight into the buffer (no array of its own per line).
        mutating func append(building build: (inout [UInt8]) -> Void) throws {
            build(&buffer)
            if buffer.count >= Self.capacity { try flush() }
        }

        private static let capacity = 1 << 20

        private mutating func flush() throws {
            try buffer.withUnsafeBytes { try writeAll($0) }
            buffer.removeAll(keepingCapacity: true)
        }

        private mutating func writeAll(_ raw: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < raw.count {
                let count = pwrite(descriptor, raw.baseAddress! + offset, raw.count - offset, off_t(written))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw OutputWriter.failure(temporary)
                }
                offset += count
                written += count
            }
        }

        mutating func commit() throws -> URL {
            defer { close(descriptor) }
            do {
                try flush()
                guard ftruncate(descriptor, off_t(written)) == 0 else { throw OutputWriter.failure(temporary) }
            } catch {
                unlink(temporary.path)
                throw error
            }
            fchmod(descriptor, 0o640)
            guard rename(temporary.path, target.path) == 0 else {
                let error = OutputWriter.failure(target)
                unlink(temporary.path)
                throw error
            }
            return target
        }

        func abandon() {
            close(descriptor)
            unlink(temporary.path)
        }
    }

    static func failure(_ url: URL) -> CocoaError {
        CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                                                 NSLocalizedDescriptionKey: String(cString: strerror(errno))])
    }

    /// A run killed between writing a temporary file (`.NAME.PID.tmp`) and renaming it leaves
    /// the temporary behind; the next writer into the folder removes it, before it writes there.
    /// Folder by folder, under a lock: a folder is cleaned before any of this writer's own
    /// temporaries is made in it, and never after.
    final class CleanedFolders: Sendable {
        private let folders = Mutex<Set<String>>([])

        func clean(_ folder: URL) {
            folders.withLock { cleaned in
                guard cleaned.insert(folder.path).inserted else { return }
                for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                where OutputWriter.isTemporary(name) {
                    try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
                }
            }
        }
    }

    /// `.NAME.PID.tmp`, as `Sink` names its temporary.
    static func isTemporary(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return false }
        let parts = name.dropFirst().dropLast(".tmp".count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, let pid = parts.last, !pid.isEmpty else { return false }
        return pid.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// Checked before a command that writes into `folder` (configuration key `key`) changes the
    /// store: a folder the job may not write, found only after a night's commits, used to end
    /// the run with exit 70 and a raw system error, its work done and its files missing. The
    /// folder, or the nearest folder above it that exists (it is made when first written), must
    /// be a folder the job may write into. Nothing is made here: a dry run writes nothing.
    static func checkWritable(_ folder: URL, key: String) throws {
        // The nearest entry that is there, a link too (one to nothing, an unmounted share, is no
        // missing folder that could be made).
        var existing = folder.standardizedFileURL
        var entry = stat()
        while lstat(existing.path, &entry) != 0, existing.path != "/" {
            existing = existing.deletingLastPathComponent()
        }
        var isFolder: ObjCBool = false
        let problem: String? = if (entry.st_mode & S_IFMT) == S_IFLNK, !FileManager.default.fileExists(atPath: existing.path) {
            "is a link to nothing"
        } else if !FileManager.default.fileExists(atPath: existing.path, isDirectory: &isFolder) {
            "does not exist"
        } else if !isFolder.boolValue {
            "is not a folder"
        } else if access(existing.path, W_OK | X_OK) != 0 {
            "cannot be written (\(String(cString: strerror(errno))))"
        } else {
            nil
        }
        guard let problem else { return }
        let subject = existing.path == folder.standardizedFileURL.path ? folder.path : "\(folder.path): \(existing.path)"
        throw ConfigError("\(key) \(subject) \(problem); nothing was changed")
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
            // `mkdir` itself: another file of the run, written at the same time, may make the
            // same folder first, and that is no failure.
            var isFolder: ObjCBool = false
            guard mkdir(url.path, 0o750) == 0
                    || (errno == EEXIST && FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue)
            else { throw failure(url) }
            chmod(url.path, 0o750)
        }
    }
}

extension ReconConfig {
    /// The folders a command writes into, checked before it changes the store
    /// (`OutputWriter.checkWritable`): the folders of `dates` under `out_dir` (a date's folder
    /// made earlier by another user, a `sudo` of `report`, is no folder the job may write), and
    /// for a run that moves its files the inbox it moves them out of, `archive_dir` and
    /// `quarantine_dir`.
    func checkWritableFolders(dates: [BusinessDate], movingInboxFiles: Bool = false) throws {
        for date in dates {
            for folder in ["mail/\(date)", "licenses/\(date)", "reports/\(date)"] + (mailEML ? ["mail/\(date)/eml"] : []) {
                try OutputWriter.checkWritable(outDirectory.appendingPathComponent(folder), key: "out_dir")
            }
        }
        guard movingInboxFiles, let archiveDirectory else { return }
        try OutputWriter.checkWritable(inboxDirectory, key: "inbox_dir")
        try OutputWriter.checkWritable(archiveDirectory, key: "archive_dir")
        try OutputWriter.checkWritable(quarantineDirectory, key: "quarantine_dir")
    }
}
