package necid

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.net.InetSocketAddress
import java.time.Duration
import java.util.Random
import java.util.UUID
import java.util.concurrent.Executors
import javax.imageio.ImageIO
import kotlinx.coroutines.runBlocking
import necid.testing.EmulatorInfo
import necid.testing.EmulatorOptions

/** Repository root (set by the pom; falls back to the working directory's ancestors). */
val repoRoot: File = File(System.getProperty("necid.repo.root") ?: "../../..").canonicalFile

fun face(name: String): ByteArray = File(repoRoot, "cli/assets/faces/$name").readBytes()

/** The emulator the tests start: `$NECID_BIN` (the suite's dev build), else the workspace's
 * dev build, else what necid.testing finds (packaged, PATH). */
fun emulatorOptions(
    tls: Boolean = false,
    faults: String? = null,
    record: Boolean = false,
    extraArgs: List<String> = emptyList(),
): EmulatorOptions {
    val dev = File(repoRoot, "target/x86_64-unknown-linux-gnu/debug/necid")
    val useDev = System.getenv("NECID_BIN").isNullOrEmpty() && dev.canExecute()
    return EmulatorOptions(
        tls = tls, binary = if (useDev) dev.toPath() else null, faults = faults, record = record, extraArgs = extraArgs,
    )
}

/**
 * One emulator per test JVM, shared by the test classes that isolate themselves with their
 * own galleries; started on first use through necid.testing (the users' helper) and stopped
 * when the JVM exits. Classes that need an emulator of their own use @NecidEmulator.
 */
object Emulator {
    val running: necid.testing.Emulator by lazy { necid.testing.Emulator.start(emulatorOptions()) }
    val info: EmulatorInfo get() = running.info

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
    private val running: necid.testing.Emulator by lazy { necid.testing.Emulator.start(emulatorOptions(tls = true)) }
    val info: EmulatorInfo get() = running.info

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
