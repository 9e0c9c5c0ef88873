import * as A from '@automerge/automerge'
import { describe, expect, test } from 'vitest'
import { generateDeviceKeys, generateFileSecret, randomBytes } from '../../../crypto/index.js'
import { blobIdOf, deviceIdOf, paddedChunkCount, type DocId } from '../../../protocol/index.js'
import { actorOf } from '../../../client/core/identity.js'
import { SEGMENT_GENESIS, readSegment, type MessageView, type SegmentDoc } from '../../../client/core/documents/model.js'
import { checkChanges } from '../../../client/core/documents/writeRules.js'
import { fileRecord, type FileRef } from '../../../client/core/files/ref.js'
import { readVerdictRecord, readVerdictRecords, verdictOnly, verdictRecord, type ScanVerdict } from '../../../client/core/scanner/verdict.js'
import { scannerVerdicts, verdictsBy } from '../../../client/core/scanner/fileVerdicts.js'
import { refOf } from '../../../client/core/documents/messageRef.js'

/** [A4] Verdicts in messages: their record, what [M20] lets a scanner write, and whose verdicts count. */
const SEG = 'segment' as DocId
const ann = generateDeviceKeys() // a member who sends files
const scanner = generateDeviceKeys() // the organisation scanner's device
const eve = generateDeviceKeys() // a member who would like her file to look clean
const annId = deviceIdOf(ann.signPublic)
const scannerId = deviceIdOf(scanner.signPublic)
const eveId = deviceIdOf(eve.signPublic)

const file = (over: Partial<FileRef> = {}): FileRef => ({
  blob: blobIdOf(randomBytes(16)), secret: generateFileSecret(), name: 'pump.pdf', type: 'application/pdf', size: 200_000, chunks: paddedChunkCount(4), sha256: 'ab'.repeat(32), ...over,
})
const verdictOn = (f: FileRef, result: ScanVerdict['result'], name?: string): ScanVerdict => ({ blob: f.blob, sha256: f.sha256, result, ...(name ? { name } : {}) })

let n = 0
const message = (author: typeof annId, over: Partial<MessageView>): MessageView => ({ id: `${++n}@x`, ref: refOf(SEG, `${n}@x`), tag: `t${n}`, segment: SEG, author, ts: 1000 + n, text: '', ...over })

/** A record as a receiver reads it: through an Automerge document. */
function roundTrip(record: unknown): unknown {
  const doc = A.change(A.init<{ v: unknown }>(), (d) => void (d.v = record))
  return A.load<{ v: unknown }>(A.save(doc)).v
}

describe('[A4] verdict records', () => {
  test('[A4] a verdict survives the document and parses back whole', () => {
    const f = file()
    for (const v of [verdictOn(f, 'clean'), verdictOn(f, 'infected', 'Eicar-Test-Signature'), verdictOn(f, 'unscanned', 'too large')]) expect(readVerdictRecord(roundTrip(verdictRecord(v)))).toEqual(v)
  })

  test('[A4] a hostile verdict is left out whole: a bad blob id, a sha that is not 64 hex, an unknown result, a name with control or direction characters or too long', () => {
    const good = verdictRecord(verdictOn(file(), 'infected', 'Eicar-Test-Signature'))
    const imm = (s: string) => new A.ImmutableString(s)
    const bad: Record<string, unknown>[] = [
      { ...good, b: imm('not-a-blob') },
      { ...good, sha: imm('AB'.repeat(32)) },
      { ...good, sha: imm('ab'.repeat(31)) },
      { ...good, r: imm('safe') },
      { ...good, n: imm('clean\u0000') },
      { ...good, n: imm('Eicar\u202etxt.exe') },
      { ...good, n: imm('x'.repeat(201)) },
      { ...good, n: 7 },
      { ...good, r: 1 },
    ]
    for (const rec of bad) expect(readVerdictRecord(roundTrip(rec)), JSON.stringify(rec)).toBeUndefined()
    expect(readVerdictRecords(roundTrip([...bad, good]))).toHaveLength(1)
    expect(readVerdictRecords(roundTrip(Array.from({ length: 40 }, () => good)))).toHaveLength(32)
    expect(() => verdictRecord({ ...verdictOn(file(), 'clean'), sha256: 'nope' })).toThrow()
  })

  test('[A4][M20] a scanner device writes its verdicts in a message of its own: the write rules accept it, a receiver reads them, and it is a verdict-only message', () => {
    const f = file()
    const actor = actorOf(scanner.signPublic)
    const base = A.applyChanges(A.init<SegmentDoc>({ actor: actor as A.ActorId }), [SEGMENT_GENESIS])[0]
    const doc = A.change(base, (d) => void d.messages.push({ id: new A.ImmutableString('v1'), ts: 5, text: new A.ImmutableString(''), verdicts: [verdictRecord(verdictOn(f, 'infected', 'Eicar-Test-Signature'))] }))
    expect(checkChanges([A.getLastLocalChange(doc)!], actor, 'segment')).toEqual({ ok: true, created: [expect.any(String)] })
    const [view] = readSegment(A.load<SegmentDoc>(A.save(doc)), SEG)
    expect(view!.verdicts).toEqual([verdictOn(f, 'infected', 'Eicar-Test-Signature')])
    expect(verdictOnly(view!)).toBe(true)
    expect(verdictOnly({ text: 'hello', verdicts: view!.verdicts })).toBe(false)
    expect(verdictOnly({ text: '', files: [fileRecord(f)], verdicts: view!.verdicts })).toBe(false)
  })

  test('[A4][M20] nobody can add a verdict into someone else\'s message', () => {
    const f = file()
    const annActor = actorOf(ann.signPublic)
    const base = A.applyChanges(A.init<SegmentDoc>({ actor: annActor as A.ActorId }), [SEGMENT_GENESIS])[0]
    const doc = A.change(base, (d) => void d.messages.push({ id: new A.ImmutableString('m1'), ts: 5, text: new A.ImmutableString('the manual'), files: [fileRecord(f)] }))
    const eveActor = actorOf(eve.signPublic)
    const forged = A.getLastLocalChange(A.change(A.clone(doc, { actor: eveActor as A.ActorId }), (d) => void (d.messages[0]!.verdicts = [verdictRecord(verdictOn(f, 'clean'))])))!
    expect(checkChanges([forged], eveActor, 'segment')).toEqual({ ok: false, code: 'M303_WRITE_REFUSED' })
  })
})

describe('[A4] whose verdicts count', () => {
  const isScanner = (d: typeof annId) => d === scannerId

  test('[A4] the scanner\'s verdict counts, with its name; a verdict by an ordinary member claiming "clean" is ignored', () => {
    const f = file()
    const messages = [
      message(annId, { text: 'the manual', files: [f] }),
      message(eveId, { verdicts: [verdictOn(f, 'clean')] }),
    ]
    expect(scannerVerdicts(messages, isScanner, 'Acme scanner').size).toBe(0)
    messages.push(message(scannerId, { verdicts: [verdictOn(f, 'infected', 'Eicar-Test-Signature')] }), message(eveId, { verdicts: [verdictOn(f, 'clean')] }))
    expect(scannerVerdicts(messages, isScanner, 'Acme scanner').get(f.blob)).toEqual({ result: 'infected', scanner: 'Acme scanner', name: 'Eicar-Test-Signature', sha256: f.sha256, ts: messages[2]!.ts })
  })

  test('[A4] a verdict about another content (another SHA-256) or about a file no message carries is ignored; the latest verdict on a file wins', () => {
    const f = file()
    const other = file()
    const messages = [
      message(annId, { text: '', files: [f] }),
      message(scannerId, { verdicts: [{ ...verdictOn(f, 'clean'), sha256: 'cd'.repeat(32) }, verdictOn(other, 'clean')] }),
    ]
    expect(scannerVerdicts(messages, isScanner, 'Acme scanner').size).toBe(0)
    messages.push(message(scannerId, { verdicts: [verdictOn(f, 'unscanned', 'too large')] }), message(scannerId, { verdicts: [verdictOn(f, 'clean')] }))
    expect(scannerVerdicts([...messages].reverse(), isScanner, 'Acme scanner').get(f.blob)?.result).toBe('clean')
  })

  test('[A4] the scanner\'s own verdicts are what it has done (it skips those files next time)', () => {
    const f = file()
    const mine = verdictOn(f, 'clean')
    expect(verdictsBy([message(annId, { files: [f] }), message(scannerId, { verdicts: [mine] }), message(eveId, { verdicts: [verdictOn(file(), 'clean')] })], scannerId)).toEqual([mine])
  })
})
