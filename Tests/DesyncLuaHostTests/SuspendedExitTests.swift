import Testing

/// The end of a batch run with jobs suspended (issue 14): jobs that will resume are waited for;
/// jobs that nothing can ever resume are named, and the run fails, instead of hanging.
@Suite("A batch run's end with suspended jobs")
struct SuspendedExitTests {
    @Test("a job suspended for good is named and the run exits 1, without 'interrupted!'", arguments: ["0", "1", "4"])
    func jobSuspendedForGood(threads: String) throws {
        let result = try HostProcess.run(["-t", threads, "-e", """
            local lonely = desync.new({}, { name = "lonely" })
            lonely:async(function() desync.stream():receive() end)
            print("end of script")
            """])
        #expect(result.stdout == "end of script\n")
        #expect(result.stderr.contains("can never run"), "\(result.stderr)")
        #expect(result.stderr.contains("lonely"), "\(result.stderr)")
        #expect(!result.stderr.contains("interrupted"), "\(result.stderr)")
        #expect(result.status == 1)
    }

    @Test("a job suspended in a sleep is waited for: its work is not lost", arguments: ["0", "1", "4"])
    func sleepingJobRunsToItsEnd(threads: String) throws {
        let result = try HostProcess.run(["-t", threads, "-e", """
            desync.spawn(function() desync.sleep(0.2) print("woke up") end)
            print("end of script")
            """])
        #expect(result.stdout == "end of script\nwoke up\n", "\(result.stderr)")
        #expect(result.status == 0)
    }
}
