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

    /// Regular files directly in `folder`, except dot-files, `*.part`, `*.tmp` and files modified
    /// less than `minimumAge` seconds before `now`, each with its identity as listed
    /// (`InboxMover.readingIdentity`); sorted by name so runs are repeatable.
    /// `passedOver`: the entries left that an operator would not expect to be (a link, which the
    /// job never follows; a file dated in the future, by a sender's clock, which waits until
    /// then), each with why, for the log. A folder (an archive kept inside the inbox) is left in
    /// silence. `misnamed`: the names that are not UTF-8 (a Latin-1 `März` from a Windows
    /// client), written with `\xNN` for each byte that is not: the store and the reports speak
    /// UTF-8, so such a file cannot be read under its name; it is left for someone to rename.
    static func readyFiles(in folder: URL, minimumAge: Int, now: Date) throws
        -> (ready: [(url: URL, listed: String?)], passedOver: [(name: String, why: String)], misnamed: [String]) {
        try check(folder)
        let (names, misnamed) = try entries(of: folder, minimumAge: minimumAge, now: now)
        var passedOver: [(name: String, why: String)] = []
        let ready = names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.compactMap { name -> (url: URL, listed: String?)? in
            guard isCandidate(Array(name.utf8)) else { return nil }
            let url = folder.appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else { return nil }
            guard attributes[.type] as? FileAttributeType == .typeRegular else {
                switch attributes[.type] as? FileAttributeType {
                case .typeDirectory?: break
                case .typeSymbolicLink?: passedOver.append((name, "not a regular file (a link): left in the inbox"))
                default: passedOver.append((name, "not a regular file (a FIFO, socket or device): left in the inbox"))
                }
                return nil
            }
            guard let modified = attributes[.modificationDate] as? Date else { return nil }
            let age = now.timeIntervalSince(modified)
            if age < 0 {
                passedOver.append((name, "modified \(Int(-age.rounded(.down))) s in the future: left in the inbox until it is \(minimumAge) s old"))
            }
            return age >= Double(minimumAge) ? (url, InboxMover.readingIdentity(of: url)) : nil
        }
        return (ready, passedOver, misnamed)
    }

    /// The names in `folder`, read as bytes: Foundation's listing decodes a name that is not
    /// UTF-8 into one that names no file, which the job then passed over without a word.
    private static func entries(of folder: URL, minimumAge: Int, now: Date) throws -> (names: [String], misnamed: [String]) {
        guard let directory = opendir(folder.path) else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: folder.path])
        }
        defer { closedir(directory) }
        var names: [String] = [], misnamed: [[UInt8]] = []
        while let entry = readdir(directory) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if let name = String(validating: bytes, as: UTF8.self) {
                if name != ".", name != ".." { names.append(name) }
            } else if isCandidate(bytes), isReadyFile(bytes, in: folder, minimumAge: minimumAge, now: now) {
                misnamed.append(bytes)
            }
        }
        // In byte order, as the others are read, whatever order the file system lists them in.
        return (names, misnamed.sorted { $0.lexicographicallyPrecedes($1) }.map { bytes in
            bytes.map { byte in
                switch byte {
                case UInt8(ascii: "\\"): "\\\\"
                case 0x20..<0x7F: String(UnicodeScalar(byte))
                default: "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
                }
            }.joined()
        })
    }

    /// Not a dot-file, `*.part` or `*.tmp` (one being written, by the usual conventions).
    private static func isCandidate(_ name: [UInt8]) -> Bool {
        name.first != UInt8(ascii: ".") && !name.ends(with: Array(".part".utf8)) && !name.ends(with: Array(".tmp".utf8))
    }

    /// A regular file modified at least `minimumAge` seconds before `now`.
    private static func isReadyFile(_ name: [UInt8], in folder: URL, minimumAge: Int, now: Date) -> Bool {
        var status = stat()
        let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let found = path.withUnsafeBufferPointer { path in
            path.withMemoryRebound(to: CChar.self) { lstat($0.baseAddress!, &status) == 0 }
        }
        return found && (status.st_mode & S_IFMT) == S_IFREG
            && now.timeIntervalSince1970 - TimeInterval(status.st_mtim.tv_sec) >= TimeInterval(minimumAge)
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
