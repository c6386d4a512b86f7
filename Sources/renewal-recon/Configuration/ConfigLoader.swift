import Foundation
import Yams

/// A configuration that cannot be used; its message names the key (exit 64).
struct ConfigError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Reads `recon.yaml`, checks its keys, applies `RECON_*` overrides and resolves it once.
///
/// Precedence: environment > file > default. Written over Yams' node tree rather than with
/// apple/swift-configuration, which holds scalars only: the file also has lists and
/// mappings, and one key schema serves both the unknown-key check and the overrides.
enum ConfigLoader {
    static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ReconConfig {
        let url = URL(fileURLWithPath: path)
        var node: Node
        if let text = try? String(contentsOf: url, encoding: .utf8) {
            do {
                node = try Yams.compose(yaml: text) ?? Node.mapping([:])
            } catch {
                throw ConfigError("\(path): not valid YAML: \(error)")
            }
        } else if FileManager.default.fileExists(atPath: path) {
            throw ConfigError("\(path): cannot be read")
        } else if environment["RECON_DATABASE_URL"] != nil {
            node = Node.mapping([:])
        } else {
            throw ConfigError("config file \(path) not found (give --config FILE, or set RECON_DATABASE_URL and the other keys in the environment)")
        }
        if case .scalar(let scalar) = node, scalar.string.isEmpty { node = Node.mapping([:]) }
        try checkKeys(node, shape: KeyShape.config, path: "")
        try checkVariables(environment)
        let overridden = applyOverrides(to: &node, environment: environment)
        let file: FileConfig
        do {
            file = try YAMLDecoder().decode(FileConfig.self, from: node)
        } catch let error as DecodingError {
            // A value from the environment is blamed on its variable, not on the file.
            let (key, problem) = describe(error)
            let variable = overridden.first { key == $0.key || key.hasPrefix($0.key + ".") }?.value
            throw ConfigError("\(variable ?? path): \(problem)")
        }
        return try ReconConfig(file: file, baseDirectory: url.deletingLastPathComponent())
    }

    /// Refuses any key the schema does not know, naming it with its path.
    static func checkKeys(_ node: Node, shape: KeyShape, path: String) throws {
        switch (shape, node) {
        case (.mapping(let keys), .mapping(let mapping)):
            for (key, value) in mapping {
                let name = key.string ?? "?"
                let full = path.isEmpty ? name : "\(path).\(name)"
                guard let inner = keys[name] else { throw ConfigError("unknown configuration key '\(full)'") }
                try checkKeys(value, shape: inner, path: full)
            }
        case (.dictionary(let inner), .mapping(let mapping)):
            for (key, value) in mapping { try checkKeys(value, shape: inner, path: "\(path).\(key.string ?? "?")") }
        case (.sequence(let inner), .sequence(let items)):
            for (index, item) in items.enumerated() { try checkKeys(item, shape: inner, path: "\(path)[\(index)]") }
        case (.mapping, _), (.dictionary, _):
            throw ConfigError("configuration key '\(path.isEmpty ? "(top level)" : path)' must be a mapping")
        default:
            break
        }
    }

    /// Refuses a `RECON_*` variable that no key reads but one nearly does, as an unknown key in
    /// the file is: a typo (`RECON_WINDOWDAYS`) left the night under the file's value without a
    /// word. Others are left alone: a container platform sets variables of its own for a service
    /// named `recon` (`RECON_PORT`, `RECON_DB_SERVICE_HOST`). The keys of `products`, `renewals`
    /// and `exception_texts` are the file's own, and read no variable.
    static func checkVariables(_ environment: [String: String]) throws {
        let known = variables(of: KeyShape.config, prefix: "RECON").union(otherVariables)
        for name in environment.keys.sorted() where name.hasPrefix("RECON_") && !known.contains(name)
            && !otherVariablePrefixes.contains(where: { name.hasPrefix($0) }) {
            let compact = name.filter { $0 != "_" }
            guard let meant = known.sorted().first(where: { $0.filter { $0 != "_" } == compact || editDistance($0, name) <= 2 })
            else { continue }
            throw ConfigError("unknown environment variable '\(name)': did you mean '\(meant)'?")
        }
    }

    /// How many single characters to insert, delete or replace to turn `a` into `b` (Levenshtein;
    /// by hand: a dozen lines for names of a few dozen characters, where a package would add a
    /// dependency to every build).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a), Array(b))
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The job's variables that are no configuration key: the store's password, the crash
    /// tests' fault points and commit size; and those the project's scripts set (`scripts/test`,
    /// `scripts/bench`), which reach the job they start.
    static let otherVariables: Set = ["RECON_DATABASE_PASSWORD", "RECON_CRASH_AT", "RECON_COMMIT_CHUNK",
                                      "RECON_REQUIRE_POSTGRES", "RECON_REQUIRE_BROWSER", "RECON_UPDATE_GOLDEN"]
    static let otherVariablePrefixes = ["RECON_TEST_", "RECON_BENCH_"]

    /// Every variable `applyOverrides` reads under `shape`.
    private static func variables(of shape: KeyShape, prefix: String) -> Set<String> {
        guard case .mapping(let keys) = shape else { return [] }
        var names = Set<String>()
        for (key, inner) in keys {
            let variable = prefix + "_" + key.uppercased()
            switch inner {
            case .scalar, .list: names.insert(variable)
            case .mapping: names.formUnion(variables(of: inner, prefix: variable))
            case .dictionary, .sequence: break
            }
        }
        return names
    }

    /// `RECON_` + the key's parts in upper case joined by `_`; lists are comma-separated.
    /// - Returns: the variable that set each overridden key (by its dotted path).
    @discardableResult
    static func applyOverrides(to node: inout Node, environment: [String: String]) -> [String: String] {
        guard case .mapping(let keys) = KeyShape.config else { return [:] }
        var overridden: [String: String] = [:]
        node = overriding(node, keys: keys, prefix: "RECON", path: "", environment: environment, overridden: &overridden)
        return overridden
    }

    private static func overriding(_ node: Node, keys: [String: KeyShape], prefix: String, path: String,
                                   environment: [String: String], overridden: inout [String: String]) -> Node {
        guard case .mapping(var mapping) = node else { return node }
        for (key, shape) in keys {
            let variable = prefix + "_" + key.uppercased()
            let keyPath = path.isEmpty ? key : path + "." + key
            switch shape {
            case .scalar:
                if let value = environment[variable] {
                    mapping[key] = Node(value)
                    overridden[keyPath] = variable
                }
            case .list:
                if let value = environment[variable] {
                    let items = value.split(separator: ",").map { Node(String($0).trimmingCharacters(in: .whitespaces)) }
                    mapping[key] = Node.sequence(Node.Sequence(items))
                    overridden[keyPath] = variable
                }
            case .mapping(let inner):
                let current = mapping[key] ?? Node.mapping([:])
                let updated = overriding(current, keys: inner, prefix: variable, path: keyPath, environment: environment,
                                         overridden: &overridden)
                if case .mapping(let updatedMapping) = updated, !updatedMapping.isEmpty { mapping[key] = updated }
            case .dictionary, .sequence:
                break
            }
        }
        return Node.mapping(mapping)
    }

    /// The dotted path of the key `error` is about, and what is wrong with it.
    private static func describe(_ error: DecodingError) -> (key: String, problem: String) {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            // In the operator's words, not the decoder's ("Expected to decode Int but found Scalar").
            let expected = switch type {
            case is Bool.Type: "true or false"
            case is any BinaryInteger.Type: "a whole number"
            case is String.Type: "text"
            case is Node.Scalar.Type: "a single value, not a list or a mapping"
            case is any RangeReplaceableCollection.Type: "a list"
            case is any Collection.Type: "a mapping of keys to values"
            default: "a value of another form (\(context.debugDescription))"
            }
            return (path(context), "key '\(path(context))' must be \(expected)")
        case .dataCorrupted(let context):
            return (path(context), "key '\(path(context))': \(context.debugDescription)")
        case .keyNotFound(let key, let context):
            let full = path(context).isEmpty ? key.stringValue : path(context) + "." + key.stringValue
            return (full, "key '\(full)' is required")
        @unknown default:
            return ("", "\(error)")
        }
    }
}
