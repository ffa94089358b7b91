def apply(): pass
