import { Notice } from '../../ui';

/** Owners and admins change settings; agents look (the API refuses them the same way). */
export function canManage(role: string): boolean {
  return role === 'owner' || role === 'admin';
}

export function ReadOnlyNotice({ what }: { what: string }) {
  return (
    <Notice kind="info">
      You can look at the {what}; only the business's owners and admins can change them.
    </Notice>
  );
}
