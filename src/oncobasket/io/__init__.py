"""Readers and writers of the file formats OncoBasket exchanges with labs and other tools."""
