// The same API from an ES module (type-checked by `npm run lint`; run with `node examples/esm.mts`
// after compiling, or read as documentation).
import necid, { Client, NecIdError, type Health } from 'necid'

const client: Client = Client.fromEnv()
try {
  const h: Health = await client.health()
  console.log(h.ok, necid.Client === Client)
} catch (e) {
  if (e instanceof NecIdError) console.error(e.code, e.requestId)
  else throw e
}
