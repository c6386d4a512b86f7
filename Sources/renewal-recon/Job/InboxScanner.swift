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
    /// less than `minimumAge` seconds before `now`; sorted by name so runs are repeatable.
    /// `passedOver`: the entries left that an operator would not expect to be (a link, which the
    /// job never follows; a file dated in the future, by a sender's clock, which waits until
    /// then), each with why, for the log. A folder (an archive kept inside the inbox) is left in
    /// silence.
    static func readyFiles(in folder: URL, minimumAge: Int, now: Date) throws -> (ready: [URL], passedOver: [(name: String, why: String)]) {
        try check(folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        var passedOver: [(name: String, why: String)] = []
        let ready = names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.compactMap { name -> URL? in
            guard !name.hasPrefix("."), !name.hasSuffix(".part"), !name.hasSuffix(".tmp") else { return nil }
            let url = folder.appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else { return nil }
            guard attributes[.type] as? FileAttributeType == .typeRegular else {
                if attributes[.type] as? FileAttributeType != .typeDirectory {
                    passedOver.append((name, "not a regular file (a link): left in the inbox"))
                }
                return nil
            }
            guard let modified = attributes[.modificationDate] as? Date else { return nil }
            let age = now.timeIntervalSince(modified)
            if age < 0 {
                passedOver.append((name, "modified \(Int(-age.rounded(.down))) s in the future: left in the inbox until it is \(minimumAge) s old"))
            }
            return age >= Double(minimumAge) ? url : nil
        }
        return (ready, passedOver)
    }
}
