// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "desync",
    products: [
        .library(name: "Desync", targets: ["Desync"]),
        .library(name: "DesyncLua", targets: ["DesyncLua"]),
        .executable(name: "desync-lua", targets: ["desync-lua"]),
        // `require "desync"` for stock lua5.4 and programs that embed Lua 5.4: libdesync.so, which
        // scripts/lua-module installs as desync/core.so behind a small C loader, desync.so, that
        // refuses older Luas with a clear error (Sources/DesyncLuaModule/Loader; see
        // LuaModuleLinking below).
        .library(name: "desync", type: .dynamic, targets: ["DesyncLuaModule"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // NIOLockedValueBox: a pthread mutex, which ThreadSanitizer understands. The standard
        // library's `Mutex` waits on futexes that TSan cannot see, so every access it guards is
        // reported as a race (checked with Swift 6.3.1 on Linux; see README, "Why not Mutex").
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        // `swift package generate-documentation --target Desync` (the DocC catalog,
        // Sources/Desync/Desync.docc); scripts/test builds it with warnings as errors.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The core: Desync<T>, futures, the scheduler. Knows nothing of Lua.
        .target(
            name: "Desync",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // liblua5.4 plus the C shims and the trampoline every Swift function is called through.
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // The host's C: Ctrl-C the way lua.c handles it (a signal handler that sets a Lua hook).
        // Not part of CLua: a library that embeds desync keeps its own signal handling.
        .systemLibrary(
            name: "CLuaHost",
            path: "Sources/CLuaHost",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // libedit for the REPL's line editing and history.
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        // The Lua runtime: states, value transfer, the `desync` Lua module.
        .target(name: "DesyncLua", dependencies: ["Desync", "CLua"]),
        // The command-line host: REPL and batch runner.
        // The Lua C module: luaopen_desync in C (it raises Lua errors), the rest in DesyncLua.
        .target(name: "CDesyncModule", dependencies: ["CLua"]),
        .target(
            name: "DesyncLuaModule",
            dependencies: ["DesyncLua", "CDesyncModule"],
            exclude: ["NoLuaLibrary", "exports.map", "Loader"],
            linkerSettings: LuaModuleLinking.settings
        ),
        .executableTarget(name: "desync-lua", dependencies: ["DesyncLua", "CLua", "CLuaHost", "CEditLine"]),
        .testTarget(name: "DesyncTests", dependencies: ["Desync"]),
        // Lua test scripts live in Tests/lua; the tests find them through #filePath.
        .testTarget(name: "DesyncLuaTests", dependencies: ["DesyncLua", "CLua"]),
        .testTarget(name: "DesyncLuaHostTests", dependencies: ["desync-lua"]),
        // Runs lua5.4 and a C program with the libdesync.so of the same build (no dependency:
        // linking the module's target would link it without Lua).
        .testTarget(name: "DesyncModuleTests"),
    ],
    swiftLanguageModes: [.v6]
)

/// How desync.so links. A Lua C module takes Lua's API from the program that loads it (lua5.4
/// exports its symbols; an embedding program links liblua): linking liblua5.4.so too would load a
/// second Lua core beside a statically linked one. CLua asks for `-llua5.4` (its module map and
/// pkg-config), which the executables and tests need; for this library it finds an empty linker
/// script of that name first (-L is searched before the system's directories), so the lua_*
/// symbols stay undefined until the loading program provides them.
/// The Swift runtime is linked in (a C program has none to offer), only `luaopen_desync` is
/// exported, and the library is never unmapped (`lua_close` dlcloses the modules it loaded, while
/// pool threads still run this code).
enum LuaModuleLinking {
    static let directory = Context.packageDirectory + "/Sources/DesyncLuaModule"
    static let settings: [LinkerSetting] = [
        .unsafeFlags([
            "-ld-path=" + directory + "/NoLuaLibrary/ld",
            "-static-stdlib",
            "-Xlinker", "-z", "-Xlinker", "nodelete",
            "-Xlinker", "--exclude-libs", "-Xlinker", "ALL",
            "-Xlinker", "--version-script", "-Xlinker", directory + "/exports.map",
        ]),
    ]
}
