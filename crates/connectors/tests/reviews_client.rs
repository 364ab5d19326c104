//! Review-site pollers and senders against a fake platform (filled in below).
