import type { PolicyRules } from '@kumo/service-kit';

/**
 * Kumo's default image policy, in oslo.policy's language, like Glance's defaults: a member
 * creates images in its project, only the admin makes one public, the owner or an admin
 * modifies, deletes or (de)activates, only the member itself answers a share. Visibility (who sees what)
 * is enforced by the queries, not here; an unseen image is a 404.
 */
export const imagePolicyDefaults: PolicyRules = {
  context_is_admin: 'role:admin',
  admin_or_owner: 'rule:context_is_admin or project_id:%(target.image.owner)s',
  default: 'rule:admin_or_owner',

  add_image: 'rule:context_is_admin or (role:member and project_id:%(target.image.owner)s)',
  get_image: '@',
  get_images: '@',
  modify_image: 'rule:admin_or_owner',
  publicize_image: 'rule:context_is_admin',
  communitize_image: 'rule:admin_or_owner',
  delete_image: 'rule:admin_or_owner',
  upload_image: 'rule:admin_or_owner',
  download_image: '@',
  // Glance's defaults (and Tempest) let a project member (de)activate its own images
  deactivate: 'rule:context_is_admin or (role:member and project_id:%(target.image.owner)s)',
  reactivate: 'rule:context_is_admin or (role:member and project_id:%(target.image.owner)s)',
  add_member: 'rule:admin_or_owner',
  delete_member: 'rule:admin_or_owner',
  get_member: '@',
  get_members: '@',
  modify_member: 'rule:context_is_admin or project_id:%(target.member.member_id)s',

  /** The metadefs catalog: everyone reads what it sees (public or own), admins write (Glance's defaults). */
  get_metadef: '@',
  modify_metadef: 'rule:context_is_admin',

  /** Signed data URLs for the compute service and host agents. */
  'kumo:image_transfer_url': 'rule:context_is_admin or role:service',
};
