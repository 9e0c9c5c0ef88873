/**
 * The `punycode` package (v2) by its file path: the bare name `punycode` is also a deprecated
 * Node built-in, which Node would load instead (and client/core may not import built-ins).
 */
declare module 'punycode/punycode.js' {
  const punycode: {
    toUnicode(domain: string): string
    toASCII(domain: string): string
  }
  export default punycode
}
