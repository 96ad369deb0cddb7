import { randomBytes } from 'node:crypto'
import { DeleteObjectCommand, GetObjectCommand, paginateListObjectsV2, PutObjectCommand } from '@aws-sdk/client-s3'
import { useS3Server } from '../helpers/s3-server'
import { describeStorageContract } from './contract'

const s3 = useS3Server()

describeStorageContract('S3CheckpointStorage', async () => {
  const bucket = await s3.bucket()
  const prefix = `tenant/${randomBytes(4).toString('hex')}/`
  const client = s3.server.client()
  return {
    // Small pages, so listing crosses pages in every test that lists.
    storage: ({ under = '', ...options } = {}) => s3.storage({ bucket, prefix: prefix + under, listPageSize: 5, ...options }),
    readStored: async (key) => Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + key }))).Body!.transformToByteArray()),
    writeStored: async (key, bytes) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: bytes }))
    },
    deleteStored: async (key) => {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + key }))
    },
    listStored: async () => {
      const keys: string[] = []
      for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix })) {
        for (const object of page.Contents ?? []) keys.push(object.Key!.slice(prefix.length))
      }
      return keys.sort()
    },
  }
})
