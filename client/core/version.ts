/** This app's version, as usage statistics show it ([Q7]); tests/architecture checks it equals package.json's. */
export const APP_VERSION = '0.1.0'
