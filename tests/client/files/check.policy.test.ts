import { describe, expect, test } from 'vitest'
import { bytesSource, checkFile, NO_FILE_POLICY, type FilePolicy, type FileVerdict } from '../../../client/core/files/check/index.js'
import { eicar, jpeg, pdf, peProgram, sha256Of, syntheticSource, zipOf } from './fixtures.js'

/** [H8] The organisation's file policy on top of the checks' own verdict. */
const policy = (p: Partial<FilePolicy>): FilePolicy => ({ ...NO_FILE_POLICY, ...p })
const check = (bytes: Uint8Array, name: string, p?: FilePolicy): Promise<FileVerdict> => checkFile(bytesSource(bytes), { name }, sha256Of(bytes), p)
const codes = (v: FileVerdict) => v.reasons.map((r) => r.code)

describe('[H8] the organisation file policy', () => {
  test('[H8] a file on the SHA-256 blocklist is blocked: "known bad file (organisation blocklist)"; another is not', async () => {
    const bad = pdf()
    const p = policy({ blockedHashes: [sha256Of(bad)] })
    const v = await check(bad, 'manual.pdf', p)
    expect(v.level).toBe('block')
    expect(v.reasons).toEqual([{ code: 'H203_BLOCKLISTED', level: 'block', text: 'known bad file (organisation blocklist)' }])
    expect((await check(jpeg(), 'photo.jpg', p)).level).toBe('ok')
  })

  test('[H8] the hash given in upper case matches the blocklist\'s lower case', async () => {
    const bad = pdf()
    const v = await checkFile(bytesSource(bad), { name: 'm.pdf' }, sha256Of(bad).toUpperCase(), policy({ blockedHashes: [sha256Of(bad)] }))
    expect(codes(v)).toEqual(['H203_BLOCKLISTED'])
  })

  test('[H8] a blocked type: by extension (name or content), and by class', async () => {
    expect(codes(await check(pdf(), 'manual.pdf', policy({ block: ['pdf'] })))).toEqual(['H201_POLICY_BLOCKED'])
    // A PDF named .txt is still a PDF: the rule matches the content's type too.
    expect(codes(await check(pdf(), 'manual.txt', policy({ block: ['pdf'] })))).toContain('H201_POLICY_BLOCKED')
    const exe = await check(peProgram(), 'setup.exe', policy({ block: ['executable'] }))
    expect(exe.level).toBe('block')
    expect(exe.reasons[0]).toEqual({ code: 'H201_POLICY_BLOCKED', level: 'block', text: 'executable files are blocked by the organisation\'s policy' })
  })

  test('[H8] a zip around a blocked type is blocked too', async () => {
    const zip = await zipOf({ 'setup.exe': peProgram() })
    expect((await check(zip, 'tools.zip', policy({ block: ['exe'] }))).level).toBe('block')
    expect((await check(zip, 'tools.zip', policy({ block: ['executable'] }))).level).toBe('block')
    expect((await check(zip, 'tools.zip', policy({ block: ['iso'] }))).level).toBe('warn')
  })

  test('[H8] warn types: a zip of photos needs a second look when the policy warns about zip', async () => {
    const zip = await zipOf({ 'a.jpg': jpeg() })
    expect((await check(zip, 'photos.zip')).level).toBe('ok')
    const v = await check(zip, 'photos.zip', policy({ warn: ['zip'] }))
    expect(v.reasons).toEqual([{ code: 'H202_POLICY_WARN', level: 'warn', text: '.zip files need a second look under the organisation\'s policy' }])
    expect((await check(zip, 'photos.zip', policy({ warn: ['archive'] }))).level).toBe('warn')
  })

  test('[H8] larger than the policy\'s limit is blocked; at the limit it is not', async () => {
    const p = policy({ maxFileMb: 500 })
    const name = { name: 'survey.mp4' }
    const over = await checkFile(syntheticSource(500 * 1024 * 1024 + 1, []), name, '0'.repeat(64), p)
    expect(over.level).toBe('block')
    expect(over.reasons).toContainEqual({ code: 'H204_TOO_LARGE', level: 'block', text: 'larger than the organisation\'s limit of 500 MiB' })
    const at = await checkFile(syntheticSource(500 * 1024 * 1024, []), name, '0'.repeat(64), p)
    expect(at.level).toBe('warn') // zeros are not an MP4 ([H2]), but the size is allowed
    expect(codes(at)).not.toContain('H204_TOO_LARGE')
  })

  test('[H5][H8] a policy only adds: warning about what the checks block leaves it blocked, and the defaults stay', async () => {
    const v = await check(eicar(), 'eicar.txt', policy({ warn: ['txt'] }))
    expect(v.level).toBe('block')
    expect(codes(v)).toEqual(['H110_EICAR', 'H202_POLICY_WARN'])
    expect((await check(peProgram(), 'setup.exe', policy({ warn: ['pdf'] }))).level).toBe('warn')
  })

  test('[H8] a rule both blocked and warned counts once, as a block', async () => {
    expect(codes(await check(pdf(), 'm.pdf', policy({ block: ['pdf'], warn: ['pdf'] })))).toEqual(['H201_POLICY_BLOCKED'])
  })
})
