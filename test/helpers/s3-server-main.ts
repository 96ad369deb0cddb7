// Runs s3rver (a real S3-compatible server on the filesystem) until killed: `s3-server-main.ts <directory> <port>`.
// Prints `{"port":N}` once listening. Started by s3-server.ts with --openssl-legacy-provider: s3rver
// encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its legacy provider.
import S3rver from 's3rver'

const [directory, port] = process.argv.slice(2)
const server = new S3rver({ address: '127.0.0.1', port: Number(port), silent: true, directory })
// Dies with the test process that started it: its stdin is that process's pipe.
process.stdin.on('close', () => process.exit(0)).resume()
server.run().then(
  (address) => process.stdout.write(`${JSON.stringify({ port: address.port })}\n`),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
