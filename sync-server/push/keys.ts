import webpush from 'web-push'

/**
 * [S50] `npm run push:keys`: a new VAPID key pair (web-push's generateVAPIDKeys), printed as the
 * environment lines the server reads. Keep the private key as secret as a TLS key: whoever holds
 * it can send pushes in this server's name to the devices that subscribed here.
 */
const keys = webpush.generateVAPIDKeys()
console.log(`VAPID_PUBLIC_KEY=${keys.publicKey}`)
console.log(`VAPID_PRIVATE_KEY=${keys.privateKey}`)
console.log('VAPID_SUBJECT=mailto:admin@example.org')
