import { CONTAINER_FORMATS, DISK_FORMATS } from './formats.js';
import { MEMBER_STATUSES, VISIBILITIES } from './image-view.js';

const str = (description: string, extra: Record<string, unknown> = {}) => ({
  type: 'string',
  description,
  ...extra,
});
const nullable = (type: string) => ['null', type];
const readOnly = { readOnly: true };

/** The JSON schema of an image, as GET /v2/schemas/image serves it. */
export const imageSchema = {
  name: 'image',
  additionalProperties: { type: 'string' },
  properties: {
    id: str('An identifier for the image', {
      pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
    }),
    name: { type: nullable('string'), description: 'Descriptive name for the image', maxLength: 255 },
    status: {
      type: 'string',
      ...readOnly,
      description: 'Status of the image',
      enum: [
        'queued',
        'saving',
        'active',
        'killed',
        'deleted',
        'uploading',
        'importing',
        'pending_delete',
        'deactivated',
      ],
    },
    visibility: { type: 'string', description: 'Scope of image accessibility', enum: VISIBILITIES },
    protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
    os_hidden: {
      type: 'boolean',
      description: 'If true, image will not appear in default image list response.',
    },
    checksum: {
      type: nullable('string'),
      ...readOnly,
      description: 'md5 hash of image contents.',
      maxLength: 32,
    },
    os_hash_algo: {
      type: nullable('string'),
      ...readOnly,
      description: 'Algorithm to calculate the os_hash_value',
      maxLength: 64,
    },
    os_hash_value: {
      type: nullable('string'),
      ...readOnly,
      description: 'Hexdigest of the image contents using the algorithm specified by the os_hash_algo',
      maxLength: 128,
    },
    owner: { type: nullable('string'), description: 'Owner of the image', maxLength: 255 },
    size: { type: nullable('integer'), ...readOnly, description: 'Size of image file in bytes' },
    virtual_size: { type: nullable('integer'), ...readOnly, description: 'Virtual size of image in bytes' },
    container_format: {
      type: nullable('string'),
      description: 'Format of the container',
      enum: [null, ...CONTAINER_FORMATS],
    },
    disk_format: {
      type: nullable('string'),
      description: 'Format of the disk',
      enum: [null, ...DISK_FORMATS],
    },
    created_at: { type: 'string', ...readOnly, description: 'Date and time of image registration' },
    updated_at: { type: 'string', ...readOnly, description: 'Date and time of the last image modification' },
    tags: {
      type: 'array',
      description: 'List of strings related to the image',
      items: { type: 'string', maxLength: 255 },
    },
    direct_url: {
      type: 'string',
      ...readOnly,
      description: 'URL to access the image file kept in external store',
    },
    min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.', minimum: 0 },
    min_disk: {
      type: 'integer',
      description: 'Amount of disk space (in GB) required to boot image.',
      minimum: 0,
    },
    self: { type: 'string', ...readOnly, description: 'An image self url' },
    file: { type: 'string', ...readOnly, description: 'An image file url' },
    schema: { type: 'string', ...readOnly, description: 'An image schema url' },
    kernel_id: {
      type: nullable('string'),
      description:
        'ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.',
      pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
      is_base: false,
    },
    ramdisk_id: {
      type: nullable('string'),
      description:
        'ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.',
      pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
      is_base: false,
    },
    architecture: {
      type: 'string',
      description:
        'Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html',
      is_base: false,
    },
    os_distro: {
      type: 'string',
      description:
        'Common name of operating system distribution as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html',
      is_base: false,
    },
    os_version: {
      type: 'string',
      description: 'Operating system version as specified by the distributor.',
      is_base: false,
    },
    instance_uuid: {
      type: 'string',
      description:
        'Metadata which can be used to record which instance this image is associated with. (Informational only, does not create an instance snapshot.)',
      is_base: false,
    },
  },
  links: [
    { rel: 'self', href: '{self}' },
    { rel: 'enclosure', href: '{file}' },
    { rel: 'describedby', href: '{schema}' },
  ],
};

export const imagesSchema = {
  name: 'images',
  properties: {
    images: { type: 'array', items: imageSchema },
    schema: { type: 'string' },
    first: { type: 'string' },
    next: { type: 'string' },
  },
  links: [
    { rel: 'first', href: '{first}' },
    { rel: 'next', href: '{next}' },
    { rel: 'describedby', href: '{schema}' },
  ],
};

export const memberSchema = {
  name: 'member',
  properties: {
    created_at: { type: 'string', description: 'Date and time of image member creation' },
    image_id: {
      type: 'string',
      description: 'An identifier for the image',
      pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
    },
    member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
    status: { type: 'string', description: 'The status of this image member', enum: MEMBER_STATUSES },
    updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
    schema: { type: 'string', readOnly: true },
  },
};

export const membersSchema = {
  name: 'members',
  properties: {
    members: { type: 'array', items: memberSchema },
    schema: { type: 'string' },
  },
  links: [{ rel: 'describedby', href: '{schema}' }],
};
