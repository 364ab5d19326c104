// A real AT Protocol network on loopback for Palabre's Bluesky tests: a PLC directory and a PDS
// (in-memory SQLite, from @atproto/dev-env), two accounts (the brand, with an app password as
// the connector is configured in production, and a customer), printed as one JSON line on
// stdout. It runs until its standard input closes (the test that started it ended) or SIGTERM.
import { TestNetworkNoAppView } from '@atproto/dev-env'

const network = await TestNetworkNoAppView.create({})
const agent = network.pds.getAgent()

async function account(name) {
  const password = `${name}-pass-${Math.random().toString(36).slice(2)}`
  const { data } = await agent.com.atproto.server.createAccount({
    handle: `${name}.test`,
    email: `${name}@example.com`,
    password,
  })
  return { handle: data.handle, did: data.did, password, accessJwt: data.accessJwt }
}

const brand = await account('brand')
const customer = await account('customer')
// The brand signs in with an app password, as production does.
const res = await fetch(`${network.pds.url}/xrpc/com.atproto.server.createAppPassword`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${brand.accessJwt}` },
  body: JSON.stringify({ name: 'palabre' }),
})
if (!res.ok) throw new Error(`createAppPassword: ${res.status} ${await res.text()}`)
brand.appPassword = (await res.json()).password

process.stdout.write(
  JSON.stringify({ pds: network.pds.url, plc: network.plc.url, brand, customer }) + '\n',
)

let closing = false
async function shutdown() {
  if (closing) return
  closing = true
  await network.close().catch(() => {})
  process.exit(0)
}
process.stdin.on('end', shutdown)
process.stdin.on('close', shutdown)
process.stdin.resume()
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
