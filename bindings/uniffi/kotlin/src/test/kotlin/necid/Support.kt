package necid

import com.google.gson.JsonParser
import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.net.InetSocketAddress
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.Random
import java.util.UUID
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import javax.imageio.ImageIO
import kotlinx.coroutines.runBlocking

/** Repository root (set by the pom; falls back to the working directory's ancestors). */
val repoRoot: File = File(System.getProperty("necid.repo.root") ?: "../../..").canonicalFile

fun face(name: String): ByteArray = File(repoRoot, "cli/assets/faces/$name").readBytes()

/** What `necid serve --ready-file` wrote. */
data class EmulatorInfo(
    val endpoint: String,
    val tenantEndpoint: String,
    val region: String,
    val accessKeyId: String,
    val secretAccessKey: String,
    val apiKey: String,
    val bucketDir: String,
    /** With `--tls`: the PEM file of the emulator's generated CA. */
    val caFile: String? = null,
    /** The emulator's admin API (`<endpoint>/_admin/v1`) and its token. */
    val adminEndpoint: String = "",
    val adminToken: String = "",
)

/**
 * One emulator per test JVM (`necid serve --memory --port 0`), started on first use and
 * killed when the JVM exits. Test classes isolate themselves with their own galleries.
 */
object Emulator {
    val info: EmulatorInfo by lazy { start() }

    internal fun start(vararg extra: String): EmulatorInfo {
        val bin = System.getenv("NECID_BIN")?.takeIf { it.isNotEmpty() }
            ?: File(repoRoot, "target/x86_64-unknown-linux-gnu/debug/necid").path
        check(File(bin).canExecute()) { "emulator binary $bin not found: run `cargo build -p necid-cli` or set NECID_BIN" }
        val dir = Files.createTempDirectory("necid-kotlin-")
        val ready = dir.resolve("ready.json")
        val log = dir.resolve("serve.log").toFile()
        val pb = ProcessBuilder(
            bin, "serve", "--memory", "--port", "0", "--engine", "deterministic",
            "--ready-file", ready.toString(), "--bucket-dir", dir.resolve("buckets").toString(),
            *extra,
        ).redirectErrorStream(true).redirectOutput(log)
        // The emulator must not pick up ConfigTest's profile file or the caller's settings.
        pb.environment().keys.removeIf { it.startsWith("NECID_") }
        val proc = pb.start()
        Runtime.getRuntime().addShutdownHook(Thread {
            proc.destroy()
            if (!proc.waitFor(5, TimeUnit.SECONDS)) proc.destroyForcibly()
            dir.toFile().deleteRecursively()
        })
        // The ready file is written atomically once the server listens.
        repeat(1200) {
            if (Files.exists(ready) && Files.size(ready) > 0) return parse(ready)
            check(proc.isAlive) { "emulator exited early:\n" + log.readText() }
            Thread.sleep(25)
        }
        error("emulator did not become ready:\n" + log.readText())
    }

    private fun parse(ready: Path): EmulatorInfo {
        val o = JsonParser.parseString(Files.readString(ready)).asJsonObject
        fun s(k: String) = o.get(k).asString
        val ca = o.get("caFile")?.takeUnless { it.isJsonNull }?.asString
        return EmulatorInfo(s("endpoint"), s("tenantEndpoint"), s("region"), s("accessKeyId"),
            s("secretAccessKey"), s("apiKey"), s("bucketDir"), ca, s("adminEndpoint"), s("adminToken"))
    }

    /** A config builder with the emulator's endpoints and credentials (no API key). */
    fun builder(): ConfigBuilder = ConfigBuilder()
        .endpoint(info.endpoint)
        .tenantEndpoint(info.tenantEndpoint)
        .region(info.region)
        .accessKeyId(info.accessKeyId)
        .secretAccessKey(info.secretAccessKey)

    /** A client for the default gallery. */
    fun client(): Client = Client(builder().apiKey(info.apiKey).build())

    /** A client for the tenant API (no API key needed). */
    fun tenant(): Client = Client(builder().build())

    /** A fresh gallery and a client bound to it through the gallery's new API key. */
    fun galleryClient(minQuality: Double? = null): Pair<Gallery, Client> = runBlocking {
        tenant().use { t ->
            val g = t.createGallery(NewGallery(name = "kotlin-" + UUID.randomUUID(), faceMinimumQualityScore = minQuality))
            val key = checkNotNull(g.apiKey) { "create_gallery returned no API key" }.expose()
            g to Client(builder().apiKey(key).build())
        }
    }
}

/** A second emulator serving HTTPS (`necid serve --tls`) with a CA generated at start. */
object TlsEmulator {
    val info: EmulatorInfo by lazy { Emulator.start("--tls") }

    /** Endpoints and credentials of the TLS emulator; no retries (errors show at once). */
    fun builder(): ConfigBuilder = ConfigBuilder()
        .endpoint(info.endpoint)
        .tenantEndpoint(info.tenantEndpoint)
        .region(info.region)
        .accessKeyId(info.accessKeyId)
        .secretAccessKey(info.secretAccessKey)
        .apiKey(info.apiKey)
        .retryPolicy(1u, Duration.ofMillis(10), Duration.ofMillis(10))
}

/** PNG bytes of a generated picture. */
fun png(width: Int, height: Int, seed: Long? = null): ByteArray {
    val img = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
    if (seed != null) {
        val r = Random(seed)
        for (y in 0 until height) for (x in 0 until width) img.setRGB(x, y, r.nextInt(0xFFFFFF))
    } else {
        for (y in 0 until height) for (x in 0 until width) img.setRGB(x, y, 0x808080)
    }
    val out = ByteArrayOutputStream()
    ImageIO.write(img, "png", out)
    return out.toByteArray()
}

/**
 * A scripted HTTP server on loopback. A mock, used only where a fault must be injected
 * that the emulator cannot produce on demand (429, 5xx, the service's Timeout error,
 * an unreadable body, a response that never comes).
 */
class FaultServer(private val handler: (HttpExchange) -> Unit) : AutoCloseable {
    private val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0).apply {
        executor = Executors.newCachedThreadPool()
        createContext("/") { ex ->
            try {
                ex.requestBody.readAllBytes()
                handler(ex)
            } catch (_: Exception) {
                // The client went away (a cancelled or timed-out call); nothing to answer.
            } finally {
                ex.close()
            }
        }
        start()
    }
    val endpoint = "http://127.0.0.1:${server.address.port}"

    /** A client for this server with retries off (each fault is seen once). */
    fun client(requestTimeout: Duration = Duration.ofSeconds(30)): Client = Client(
        ConfigBuilder().endpoint(endpoint).tenantEndpoint(endpoint)
            .accessKeyId("AKIDFAULTSERVER00001").secretAccessKey("fault-secret").apiKey("fault-api-key")
            .requestTimeout(requestTimeout)
            .retryPolicy(1u, Duration.ofMillis(1), Duration.ofMillis(1))
            .build(),
    )

    override fun close() {
        server.stop(0)
        (server.executor as java.util.concurrent.ExecutorService).shutdownNow()
    }
}

fun HttpExchange.reply(status: Int, body: String, vararg headers: Pair<String, String>) {
    responseHeaders.add("content-type", "application/json")
    headers.forEach { (k, v) -> responseHeaders.add(k, v) }
    val bytes = body.toByteArray()
    sendResponseHeaders(status, bytes.size.toLong())
    responseBody.use { it.write(bytes) }
}
