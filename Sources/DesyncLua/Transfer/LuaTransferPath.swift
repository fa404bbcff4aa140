/// How capture reached a value: one step down from a parent node, or a top-level position.
///
/// Capture records one origin per node instead of building path strings, so a path costs
/// something only when it is printed in an error.
struct LuaCargoOrigin {
    /// The node the step starts from; nil for a top-level value.
    var parent: Int?
    var step: LuaPathStep
}

enum LuaPathStep {
    /// The n-th top-level value, counted from 1.
    case topLevel(Int)
    /// The value stored under this key.
    case field(LuaCargoValue)
    /// A table key that is itself refused or leads to a refused value.
    case key
    case metatable
    case upvalue(String)
    /// An upvalue of a C closure (a Swift function), which has no name: its number.
    case cUpvalue(Int32)
}

/// A value that cannot cross, with where it was found.
struct LuaCargoRefusal: Error {
    var origin: LuaCargoOrigin
    /// What the value is, as the message names it: "userdata", "coroutine", ...
    var what: String

    /// `argument 2, field 'log', upvalue 'file': userdata cannot cross between desync objects`.
    func error(origins: [LuaCargoOrigin], describe: (Int) -> String) -> LuaTransferError {
        let path = origin.path(origins: origins, describe: describe)
        return LuaTransferError(message: "\(path): \(what) cannot cross between desync objects")
    }
}

extension LuaCargoOrigin {
    /// The path from the top-level value down to here: `argument 2, field 'log', upvalue 'file'`.
    func path(origins: [LuaCargoOrigin], describe: (Int) -> String) -> String {
        var steps: [String] = []
        var next: LuaCargoOrigin? = self
        while let current = next {
            steps.append(current.step.rendered(describe: describe))
            next = current.parent.map { origins[$0] }
        }
        steps.reverse()
        // A refusal a million tables deep must not produce a million-step message.
        let kept = 16
        if steps.count > 2 * kept {
            steps = steps.prefix(kept) + ["... (\(steps.count - 2 * kept) more)"] + steps.suffix(kept)
        }
        return steps.joined(separator: ", ")
    }
}

extension LuaPathStep {
    func rendered(describe: (Int) -> String) -> String {
        switch self {
        case .topLevel(let position): describe(position)
        case .key: "key"
        case .metatable: "metatable"
        case .upvalue(let name): "upvalue '\(name)'"
        case .cUpvalue(let number): "upvalue \(number)"
        case .field(.string(let bytes)): "field '\(Self.printable(bytes))'"
        case .field(let key): "[\(Self.keyLabel(key))]"
        }
    }

    private static func keyLabel(_ key: LuaCargoValue) -> String {
        switch key {
        case .luaNil: "nil"
        case .boolean(let value): "\(value)"
        case .integer(let value): "\(value)"
        case .float(let value): "\(value)"
        case .string(let bytes): "'\(printable(bytes))'"
        case .table, .flatTable, .globals, .module: "table"
        case .function, .reusableFunction, .closure, .cFunction: "function"
        case .shared(let object): type(of: object).luaTypeName
        }
    }

    /// The key as text, with control bytes escaped so a message stays on one line.
    private static func printable(_ bytes: [UInt8]) -> String {
        var text = ""
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "'" || scalar == "\\" {
                text += scalar == "'" || scalar == "\\" ? "\\\(scalar)" : "\\\(scalar.value)"
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return text
    }
}
