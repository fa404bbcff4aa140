// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "desync",
    products: [
        .library(name: "Desync", targets: ["Desync"]),
        .library(name: "DesyncLua", targets: ["DesyncLua"]),
        .executable(name: "desync-lua", targets: ["desync-lua"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // NIOLockedValueBox: a pthread mutex, which ThreadSanitizer understands. The standard
        // library's `Mutex` waits on futexes that TSan cannot see, so every access it guards is
        // reported as a race (checked with Swift 6.3.1 on Linux; see README, "Why not Mutex").
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
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
        .executableTarget(name: "desync-lua", dependencies: ["DesyncLua", "CLua", "CLuaHost", "CEditLine"]),
        .testTarget(name: "DesyncTests", dependencies: ["Desync"]),
        // Lua test scripts live in Tests/lua; the tests find them through #filePath.
        .testTarget(name: "DesyncLuaTests", dependencies: ["DesyncLua", "CLua"]),
        .testTarget(name: "DesyncLuaHostTests", dependencies: ["desync-lua"]),
    ],
    swiftLanguageModes: [.v6]
)
