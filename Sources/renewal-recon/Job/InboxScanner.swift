import Foundation

/// SPEC §3.1: the files of the inbox that are ready to read.
enum InboxScanner {
    /// - Throws: `ConfigError` where `folder` is no folder: a path named wrong would otherwise
    ///   pass every night for one that received nothing. `run` asks before it opens the store.
    static func check(_ folder: URL) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ConfigError("inbox_dir \(folder.path) is not a folder (create it, or correct inbox_dir)")
        }
    }

    /// An inbox file ready to read, with its status as listed: the run reads it only while the
    /// inbox still holds it so (`InboxMover.readingIdentity`).
    struct ReadyFile {
        let url: URL
        let listed: stat
    }

    /// Regular files directly in `folder`, except dot-files, `*.part`, `*.tmp` and files modified
    /// less than `minimumAge` seconds before `now`; sorted by name so runs are repeatable.
    /// `passedOver`: the entries left that an operator would not expect to be (a link, which the
    /// job never follows; a file dated in the future, by a sender's clock, which waits until
    /// then), each with why, for the log. A folder (an archive kept inside the inbox) is left in
    /// silence. `misnamed`: the names that are not UTF-8 (a Latin-1 `März` from a Windows
    /// client), written with `\xNN` for each byte that is not: the store and the reports speak
    /// UTF-8, so such a file cannot be read under its name; it is left for someone to rename.
    /// Each entry's type, age and identity come from one `lstat`.
    static func readyFiles(in folder: URL, minimumAge: Int, now: Date) throws
        -> (ready: [ReadyFile], passedOver: [(name: String, why: String)], misnamed: [String]) {
        try check(folder)
        var ready: [ReadyFile] = [], passedOver: [(name: String, why: String)] = [], misnamed: [[UInt8]] = []
        for name in try names(in: folder) where isCandidate(name) {
            guard let status = InboxMover.status(ofPath: Array(folder.path.utf8) + [UInt8(ascii: "/")] + name) else { continue }
            let age = now.timeIntervalSince1970 - (TimeInterval(status.st_mtim.tv_sec) + TimeInterval(status.st_mtim.tv_nsec) / 1e9)
            guard let text = String(validating: name, as: UTF8.self) else {
                if status.st_mode & S_IFMT == S_IFREG, age >= Double(minimumAge) { misnamed.append(name) }
                continue
            }
            switch status.st_mode & S_IFMT {
            case S_IFREG:
                if age < 0 {
                    passedOver.append((text, "modified \(Int(-age.rounded(.down))) s in the future: left in the inbox until it is \(minimumAge) s old"))
                }
                if age >= Double(minimumAge) { ready.append(ReadyFile(url: folder.appendingPathComponent(text), listed: status)) }
            case S_IFDIR: break
            case S_IFLNK: passedOver.append((text, "not a regular file (a link): left in the inbox"))
            default: passedOver.append((text, "not a regular file (a FIFO, socket or device): left in the inbox"))
            }
        }
        return (ready, passedOver, misnamed.map(escaped))
    }

    /// The names in `folder`, as bytes, in byte order (runs are repeatable): Foundation's
    /// listing decodes a name that is not UTF-8 into one that names no file, which the job then
    /// passed over without a word.
    private static func names(in folder: URL) throws -> [[UInt8]] {
        guard let directory = opendir(folder.path) else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: folder.path])
        }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != Array(".".utf8), name != Array("..".utf8) { names.append(name) }
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// A name that is not UTF-8, written with `\xNN` for each byte that is no printable ASCII,
    /// and a backslash doubled.
    private static func escaped(_ name: [UInt8]) -> String {
        name.map { byte in
            switch byte {
            case UInt8(ascii: "\\"): "\\\\"
            case 0x20..<0x7F: String(UnicodeScalar(byte))
            default: "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }.joined()
    }

    /// Not a dot-file, `*.part` or `*.tmp` (one being written, by the usual conventions).
    private static func isCandidate(_ name: [UInt8]) -> Bool {
        name.first != UInt8(ascii: ".") && !name.ends(with: Array(".part".utf8)) && !name.ends(with: Array(".tmp".utf8))
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
