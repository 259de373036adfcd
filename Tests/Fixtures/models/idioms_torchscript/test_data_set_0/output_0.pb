
BlogitsJ(ÖSŠ¿g²v?~q¯@#^Ò?1M’ÀþJ™¿GlÀº“¥>•T¿ÜÌÀ