// swift-tools-version:6.1
// The benchmarks: a package of their own, so users of desync never build them.
// Run them with scripts/bench (or `swift package benchmark` in this folder).
import PackageDescription

// A package reached by path is known by its folder's name, whatever a clone is called.
let mainPackage = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "desync")

let package = Package(
    name: "DesyncBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "DesyncBenchmarks",
            dependencies: [
                .product(name: "Desync", package: mainPackage),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/DesyncBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The Lua workloads: desync-lua (LuaRuntime, in this process) against a plain Lua call.
        // Their luv peers are Lua scripts in lua/, run by lua5.4 from scripts/bench.
        .executableTarget(
            name: "DesyncLuaBenchmarks",
            dependencies: [
                .product(name: "DesyncLua", package: mainPackage),
                .product(name: "Desync", package: mainPackage),
                .product(name: "Benchmark", package: "benchmark"),
                "CHeapInUse",
            ],
            path: "Benchmarks/DesyncLuaBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // glibc's heap statistics, for the memory of suspended jobs (DesyncLuaBenchmarks).
        .target(name: "CHeapInUse", path: "Support/CHeapInUse"),
        // A harness-free driver of the same workloads, for perf and callgrind.
        .executableTarget(
            name: "DesyncProfile",
            dependencies: [.product(name: "Desync", package: mainPackage)],
            path: "Profile/DesyncProfile"
        ),
    ],
    swiftLanguageModes: [.v6]
)
