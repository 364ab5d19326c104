// Records real firehose frames (com.atproto.sync.subscribeRepos) from a dev-env PDS into
// crates/connectors/fixtures/bluesky/firehose/ for the connector's unit tests: a customer's
// post that mentions the brand (with a mention facet and a non-ASCII tag), a reply to it, a
// like, and a deletion. Run: node record-frames.mjs (Node 22, see README.md).
import { TestNetworkNoAppView } from '@atproto/dev-env'
import fs from 'node:fs/promises'
import path from 'node:path'

const out = path.resolve(import.meta.dirname, '../../crates/connectors/fixtures/bluesky/firehose')
await fs.mkdir(out, { recursive: true })
const network = await TestNetworkNoAppView.create({})
const agent = network.pds.getAgent()
const xrpc = async (method, body, jwt) => {
  const res = await fetch(`${network.pds.url}/xrpc/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(jwt ? { authorization: `Bearer ${jwt}` } : {}) },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`)
  return res.json()
}
const mk = (handle) => xrpc('com.atproto.server.createAccount', { handle, email: `${handle}@example.com`, password: 'pw-fixture' })
const brand = await mk('brand.test')
const customer = await mk('customer.test')
const text = 'Bonjour @brand.test, où est ma commande ? #Élections'
const enc = new TextEncoder()
const at = (s) => enc.encode(text.slice(0, text.indexOf(s))).length
const post = await xrpc('com.atproto.repo.createRecord', {
  repo: customer.did, collection: 'app.bsky.feed.post',
  record: {
    $type: 'app.bsky.feed.post', text, createdAt: new Date().toISOString(), langs: ['fr'],
    facets: [
      { index: { byteStart: at('@brand'), byteEnd: at('@brand') + enc.encode('@brand.test').length },
        features: [{ $type: 'app.bsky.richtext.facet#mention', did: brand.did }] },
      { index: { byteStart: at('#'), byteEnd: enc.encode(text).length },
        features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'Élections' }] },
    ],
  },
}, customer.accessJwt)
const reply = await xrpc('com.atproto.repo.createRecord', {
  repo: brand.did, collection: 'app.bsky.feed.post',
  record: { $type: 'app.bsky.feed.post', text: 'Nous regardons, merci !', createdAt: new Date().toISOString(),
    reply: { root: { uri: post.uri, cid: post.cid }, parent: { uri: post.uri, cid: post.cid } } },
}, brand.accessJwt)
await xrpc('com.atproto.repo.createRecord', {
  repo: customer.did, collection: 'app.bsky.feed.like',
  record: { $type: 'app.bsky.feed.like', subject: { uri: reply.uri, cid: reply.cid }, createdAt: new Date().toISOString() },
}, customer.accessJwt)
await xrpc('com.atproto.repo.deleteRecord', {
  repo: customer.did, collection: 'app.bsky.feed.post', rkey: post.uri.split('/').pop(),
}, customer.accessJwt)

const ws = new WebSocket(`${network.pds.url.replace('http', 'ws')}/xrpc/com.atproto.sync.subscribeRepos?cursor=0`)
ws.binaryType = 'arraybuffer'
const frames = []
await new Promise((resolve) => {
  let timer
  ws.onmessage = (m) => { frames.push(Buffer.from(m.data)); clearTimeout(timer); timer = setTimeout(resolve, 1000) }
  ws.onerror = (e) => { console.error(e); resolve() }
})
ws.close()
let i = 0
for (const f of frames) await fs.writeFile(path.join(out, `frame_${String(++i).padStart(2, '0')}.cbor`), f)
await fs.writeFile(path.join(out, 'expected.json'), JSON.stringify({
  brand: brand.did, customer: customer.did, post, reply, text, frames: frames.length,
}, null, 2) + '\n')
console.log(`${frames.length} frames written to ${out}`)
await network.close()
process.exit(0)
