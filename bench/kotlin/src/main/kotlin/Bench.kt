// Kotlin side of bench/run: closed loops of Client.extractFaces (the UniFFI Kotlin binding,
// suspend calls) from N coroutines, against the emulator or the null server. Prints one
// JSON object on stdout in the shape of the other languages' e2e output (bench/c/bench.c).
//
//   java -Djna.library.path=RELEASE_DIR -cp CLASSES:DEPS necid.bench.BenchKt \
//       READY_FILE PROBE_JPEG SECS INFLIGHT[,INFLIGHT...]
// (bench/run compiles it with `mvn compile`, writes the dependencies' class path with
// `dependency:build-classpath` and runs java itself: no Maven JVM beside the measured one.)
package necid.bench

import java.io.File
import java.lang.management.ManagementFactory
import kotlin.math.ceil
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import necid.Client
import necid.ConfigBuilder

/** The string value of `key` in the (flat, trusted) ready file. */
private fun jsonStr(json: String, key: String): String =
    Regex("\"" + Regex.escape(key) + "\"\\s*:\\s*\"([^\"]*)\"").find(json)?.groupValues?.get(1)
        ?: error("$key missing from the ready file")

/** This process's CPU time (every thread), seconds. */
private fun cpuSeconds(): Double {
    val os = ManagementFactory.getOperatingSystemMXBean() as com.sun.management.OperatingSystemMXBean
    return os.processCpuTime / 1e9
}

private fun pct(sorted: DoubleArray, p: Double): Double {
    if (sorted.isEmpty()) return 0.0
    val i = ceil(sorted.size * p).toInt().coerceIn(1, sorted.size)
    return sorted[i - 1] * 1e3
}

fun main(args: Array<String>) {
    require(args.size == 4) { "usage: Bench READY_FILE PROBE_JPEG SECS INFLIGHT[,INFLIGHT...]" }
    val ready = File(args[0]).readText()
    val probe = File(args[1]).readBytes()
    val secs = args[2].toDouble()
    val levels = args[3].split(",").map { it.trim().toInt() }
    val client = Client(
        ConfigBuilder()
            .endpoint(jsonStr(ready, "endpoint"))
            .region(jsonStr(ready, "region"))
            .accessKeyId(jsonStr(ready, "accessKeyId"))
            .secretAccessKey(jsonStr(ready, "secretAccessKey"))
            .apiKey(jsonStr(ready, "apiKey"))
            .build(),
    )
    val rows = mutableListOf<String>()
    for (n in levels) {
        // Warm-up, timed: the JIT compiles the hot paths (JNA, the generated bindings,
        // coroutines) only after thousands of calls, and the first level pays for it.
        val warmEnd = System.nanoTime() + ((if (rows.isEmpty()) 2.0 else 0.5).coerceAtMost(secs) * 1e9).toLong()
        runBlocking(Dispatchers.Default) {
            repeat(n) { launch { while (System.nanoTime() < warmEnd) client.extractFaces(probe) } }
        }
        val lat = Array(n) { ArrayList<Double>(1 shl 14) }
        val errors = IntArray(n)
        val cpu0 = cpuSeconds()
        val start = System.nanoTime()
        val deadline = start + (secs * 1e9).toLong()
        runBlocking(Dispatchers.Default) {
            for (i in 0 until n) {
                launch {
                    while (System.nanoTime() < deadline) {
                        val t = System.nanoTime()
                        val ok = try {
                            client.extractFaces(probe).isNotEmpty()
                        } catch (e: Exception) {
                            false
                        }
                        if (ok) lat[i].add((System.nanoTime() - t) / 1e9) else errors[i]++
                    }
                }
            }
        }
        val elapsed = (System.nanoTime() - start) / 1e9
        val cpu = cpuSeconds() - cpu0
        val all = lat.flatMap { it }.toDoubleArray().also { it.sort() }
        val total = all.size
        rows.add(
            "{\"inflight\": $n, \"requests\": $total, \"errors\": ${errors.sum()}, " +
                "\"rps\": ${"%.3f".format(total / elapsed)}, \"p50_ms\": ${"%.6f".format(pct(all, 0.5))}, " +
                "\"p99_ms\": ${"%.6f".format(pct(all, 0.99))}, " +
                "\"cpu_us_per_req\": ${"%.3f".format(if (total > 0) cpu * 1e6 / total else 0.0)}}",
        )
    }
    client.close()
    val body = 12 + 4 * ((probe.size + 2) / 3)
    println("{\"lang\": \"kotlin\", \"body_bytes\": $body, \"e2e\": {\"necid Kotlin (coroutines)\": [${rows.joinToString(", ")}]}}")
}
