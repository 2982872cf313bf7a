'use strict';
// The admin's navigation sidebar starts collapsed: at 1,366 px it took
// 276 px from every changelist and form. Django's nav_sidebar.js (deferred,
// so it runs after this) opens it unless this key says "false"; a user who
// opens it with the toggle is remembered under the same key.
{
    const key = 'django.admin.navSidebarIsOpen';
    try {
        if (localStorage.getItem(key) === null) {
            localStorage.setItem(key, 'false');
        }
    } catch (error) {
        // Storage refused (private mode, a policy): Django's default applies.
    }
}
