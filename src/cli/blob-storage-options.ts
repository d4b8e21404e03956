import { Option, type Command } from 'commander';

/**
 * `--blobs`, `--s3-endpoint` and `--s3-force-path-style`: where a hub keeps bodies, the same for `roomfiles hub`
 * and for the hub `roomfiles up` starts; `defaultDir` is how the command's help names its default directory.
 */
export function addBlobStorageOptions(command: Command, defaultDir: string): Command {
  return command
    .addOption(
      new Option(
        '--blobs <location>',
        `where the hub keeps bodies: s3://bucket/prefix or a directory (default ${defaultDir})`,
      ).env('ROOMFILES_BLOBS'),
    )
    .addOption(
      new Option('--s3-endpoint <url>', 'the S3-compatible endpoint of --blobs s3://… (MinIO, Ceph RGW)').env(
        'ROOMFILES_S3_ENDPOINT',
      ),
    )
    .addOption(
      new Option('--s3-force-path-style', 'address the bucket in the path, not the host name (MinIO)').env(
        'ROOMFILES_S3_FORCE_PATH_STYLE',
      ),
    );
}
