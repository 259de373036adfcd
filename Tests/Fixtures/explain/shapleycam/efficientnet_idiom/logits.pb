
BlogitsJ(“I|¾ðJ¡=)Y!?sç½ò>RÒC¾´t> Â±>;T,¿¼¦¾